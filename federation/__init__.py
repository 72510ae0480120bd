"""Activities and ActivityPub: every write, local or remote, is applied here, once."""
