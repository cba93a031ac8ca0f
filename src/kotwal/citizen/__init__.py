"""Citizen services (issue 22): the back end of the citizens' app on its own surface and token
realm. Accounts by mobile number and a one-time code sent by SMS, device sessions the citizen
can see and revoke, an identity vault kept apart from everything else (which carries only a
pseudonymous citizen id), and Travel Made Safe trips whose positions are sealed under a key of
their own that is destroyed once the trip is over."""
