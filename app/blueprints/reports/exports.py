"""PDF exports of reports (rendered in a job) and scheduled report emails."""
