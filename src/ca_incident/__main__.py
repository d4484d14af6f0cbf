from ca_incident.entry import main

main()
