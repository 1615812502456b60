"""The sales forecast report: stored statsmodels forecasts with the weighted pipeline."""
