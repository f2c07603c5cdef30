"""The web pages' building blocks: words in two languages, values in words, the timeline chart.

Plain functions over the documents of projections.queries; the routes are in
api/routes/pages.py and the templates in api/templates/pages/.
"""
