"""Contract versioning: compare two lock files and judge every change by who reads it.

    sdkgen build contracts/                       # writes generated/sdkgen.lock.json
    sdkgen check contracts/ --against origin/main # git show origin/main:generated/sdkgen.lock.json
    sdkgen check contracts/ --against old.lock.json --format markdown --fail-on warn

Modules, in the order data flows:

- `schema`: structural diff of two JSON Schemas of one position -> raw changes;
- `contract`: namespaces, events, acks and positions -> `Finding`s with the severity
  `sdkgen.rules` gives for the reader, the category and a contract file:line (`locate`);
- `check`: version bumps (a break passes with a major bump of its namespace) and the
  ignore file, then pass or fail; `sdkgen.report` renders the result;
- `git`: reads the old lock from a file or `git show REF:path`, never old code.

Ignore file (`sdkgen.toml` beside the contracts directory, or `--ignore-file`); every
entry needs a reason and an expiry date, and an expired entry stops applying:

    [[check.ignore]]
    rule = "event-removed"        # a rule id, or "*"
    namespace = "/chat"           # optional scope: namespace, event, field path (glob)
    event = "typing"
    reason = "no released client listens to it"
    until = 2026-12-31
"""
