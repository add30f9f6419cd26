joining or knocking by alias names the servers to go through in ``via`` query parameters; ``server_name`` is deprecated (MSC4156).
