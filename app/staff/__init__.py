"""The staff side: login, the mobile inbox, the case page and its actions."""
