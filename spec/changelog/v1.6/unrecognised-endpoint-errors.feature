An application service should answer a request for an unknown endpoint with 404, and an unsupported method on a known endpoint with 405, in both cases with the ``M_UNRECOGNIZED`` errcode (MSC3743).
