from quartz.cli import main

raise SystemExit(main())
