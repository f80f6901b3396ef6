"""pysession: wallet-session manager for Canton dApps."""
