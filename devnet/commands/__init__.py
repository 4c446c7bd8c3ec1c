"""Sub-commands of `essl`, one module per area; each only wires options to the layers below."""
