"""The collection centre side: the receiver that accepts sealed envelopes and the duplicate-student report."""
