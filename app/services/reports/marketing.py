"""Marketing reports: campaign ROI, lead conversion by source, channel effectiveness,
content performance."""
