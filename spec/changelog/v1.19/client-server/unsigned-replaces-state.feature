Client-format events, including those pushed in transactions, may carry ``unsigned.replaces_state``, the ID of the state event that this one replaced (#2345).
