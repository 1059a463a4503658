from grym_desktop.cli import main

raise SystemExit(main())
