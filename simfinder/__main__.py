from simfinder.cli import main

raise SystemExit(main())
