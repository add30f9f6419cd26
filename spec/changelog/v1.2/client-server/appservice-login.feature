``POST /_matrix/client/v3/login`` accepts an application service login type, so an appservice can get an access token for a user in its namespace by authenticating with its ``as_token`` (MSC2778).
