from tools.screenshots.shoot import main

raise SystemExit(main())
