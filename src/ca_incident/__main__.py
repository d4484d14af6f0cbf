from ca_incident.cli import main

main()
