"""Link health: what a connection negotiated, how its link-layer procedures went, how its
connection events went on the air, its throughput, and why it ended."""
