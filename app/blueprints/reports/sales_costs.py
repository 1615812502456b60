"""Monthly sales costs, entered by managers for the customer acquisition cost report."""
