"""ca-incident: Web PKI CA incident reports, from the CA's notes to a Bugzilla-ready report."""

__version__ = "0.1.0"
