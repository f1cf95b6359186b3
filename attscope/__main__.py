from attscope.cli.main import main

raise SystemExit(main())
