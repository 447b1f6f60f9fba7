from logicdistill.cli import main

raise SystemExit(main())
