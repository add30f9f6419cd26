The homeserver authenticates its requests to the application service by passing the ``hs_token`` in the ``access_token`` query parameter.
