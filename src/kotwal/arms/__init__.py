"""Arms licences (Arms Act 1959, Arms Rules 2016): licences, their weapons, their course
(issue, renewal, suspension, cancellation) and the suspension reviews raised when a holder is
named in a case."""
