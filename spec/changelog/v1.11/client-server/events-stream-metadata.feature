``m.call.sdp_stream_metadata_changed``, and the ``audio_muted`` and ``video_muted`` flags of a call's streams.
