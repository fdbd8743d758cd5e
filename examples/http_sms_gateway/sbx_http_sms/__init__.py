"""A Switchboard channel for HTTP SMS gateways; see README.md in this folder."""
