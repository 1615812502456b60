"""Customer reports: acquisition cost, lifetime value, churn rate, satisfaction trend."""
