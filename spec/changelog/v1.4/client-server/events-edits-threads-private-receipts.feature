Edits (``rel_type: m.replace`` with ``m.new_content``), threads (``rel_type: m.thread`` with ``is_falling_back``), private read receipts (``m.read.private``) and threaded receipts (``thread_id``).
