from attscope.main import main

raise SystemExit(main())
