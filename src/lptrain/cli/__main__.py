from lptrain.cli import main

raise SystemExit(main())
