"""The offline Twilio: answers the twilio client in-process, with a customer phone to play."""
