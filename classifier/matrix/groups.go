package matrix

import "strings"

// DiagramGroup is a box of the report's diagram: the peers of a kind, on
// the side of the server the vendor's figure draws them.
type DiagramGroup struct {
	Name string
	Left bool
}

// DiagramGroups lists the diagram's boxes in the order they are drawn.
func DiagramGroups() []DiagramGroup {
	return []DiagramGroup{
		{"Agents", true}, {"Consoles and Access Analyzer", true}, {"Database", false},
		{"Domain controllers", false}, {"Action Service", false}, {"On the server itself", true}, {"Other", false},
	}
}

// DiagramGroupOf places a rule by its first role (roles as a report
// writes them, comma-separated), as the vendor's figure does; local rules
// go on the server itself.
func DiagramGroupOf(roles, direction string) string {
	role, _, _ := strings.Cut(roles, ",")
	switch role {
	case "activity-monitor-agents", "threat-prevention-agents":
		return "Agents"
	case "console-clients", "access-analyzer-consoles":
		return "Consoles and Access Analyzer"
	case "domain-controllers":
		return "Domain controllers"
	case "postgresql-servers":
		return "Database"
	case "action-service-servers":
		return "Action Service"
	}
	if direction == Local.String() {
		return "On the server itself"
	}
	return "Other"
}
