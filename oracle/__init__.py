"""The oracle: device sources -> validation -> quarantine of rejects -> interval aggregation ->
Merkle batch -> signed interval reports relayed on-chain. This package owns the device reading
format (`oracle.reading`), its validation rules (`oracle.validate`), the quarantine of rejected
readings (`oracle.quarantine`) and the device sources (`oracle.sources`)."""
