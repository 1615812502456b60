"""The forecast refresh: fit every bookings series again now, in a job."""
