"""Upcasters: functions that turn an older stored payload into the next version's shape.

The domain's event classes call these from their `upcast_vN_vM` hooks, so the library's
mapper applies them on read and the payload models only ever see the current shape.
"""
