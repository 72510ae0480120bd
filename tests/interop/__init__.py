"""Third-party ActivityPub implementations that the tests start on loopback (Fedify)."""
