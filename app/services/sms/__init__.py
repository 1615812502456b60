"""Text messages (SMS): providers (providers.py: Twilio's REST API, or a development
provider that records), E.164 numbers (phones.py), opt-outs and consent (preferences.py),
the message log and single messages (messages.py), inbound messages and their keywords
(inbound.py, signatures.py), SMS campaigns (campaigns.py, campaign_delivery.py) and
ticket reply notices (ticket_notices.py)."""
