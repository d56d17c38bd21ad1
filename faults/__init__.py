"""The fault suite of chorus_pro_dilifac (`make faults`, tools/faults.sh): real processes,
real commits, real sshd and HTTP, one row per fault, exactly-once counted from the
sandboxes' own records."""
