"""A local model of Notion's API (the sandbox server and the sample workspace it serves)."""
