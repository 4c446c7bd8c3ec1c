"""Local chain lifecycle (anvil), the demo world and the `essl` command line."""
