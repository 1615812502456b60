"""Rapport's AI features, computed locally from the CRM's own data: lead scoring, win
probability, churn risk, product recommendations, next best action and knowledge-base
suggestions. Each explains itself (the factors behind a figure) and is measured: a version
is trained on the past, tested on the most recent records, and its figures are stored with
it (app.models.predictions.PredictionModel) and shown on the admin Models page."""
