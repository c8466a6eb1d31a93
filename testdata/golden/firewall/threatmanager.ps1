# flowverify dev: host-firewall rules for the Threat Manager server, matrix "threatmanager" (profile threatmanager)
# Run in an elevated PowerShell on the Threat Manager server.

New-NetFirewallRule -DisplayName 'flowverify syslog-in' -Group 'flowverify' -Direction Inbound -Action Allow -Protocol UDP -LocalPort 10000 -RemoteAddress 10.20.1.0/24 -Description 'File-system events streamed as syslog by Activity Monitor agents'

New-NetFirewallRule -DisplayName 'flowverify amqp-in' -Group 'flowverify' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 10001 -RemoteAddress 10.20.1.0/24 -Description 'Active Directory and file-system events over AMQP from Activity Monitor and Threat Prevention agents'

New-NetFirewallRule -DisplayName 'flowverify console-8080 (in)' -Group 'flowverify' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 8080 -Description 'Web console opened by administrators'' browsers'

New-NetFirewallRule -DisplayName 'flowverify console-8080 (out)' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 8080 -Description 'Web console opened by administrators'' browsers'

New-NetFirewallRule -DisplayName 'flowverify access-analyzer-8080 (in)' -Group 'flowverify' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 8080 -Description 'Access Analyzer console hosts talking to the web service'

New-NetFirewallRule -DisplayName 'flowverify access-analyzer-8080 (out)' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 8080 -Description 'Access Analyzer console hosts talking to the web service'

New-NetFirewallRule -DisplayName 'flowverify postgresql-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 5435,5439 -RemoteAddress 10.20.0.41 -Description 'Remote (or local) PostgreSQL database used by Threat Manager'

New-NetFirewallRule -DisplayName 'flowverify kerberos-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 88 -RemoteAddress 10.20.0.21,10.20.0.22,2001:db8:20::21 -Description 'Kerberos authentication against domain controllers'

New-NetFirewallRule -DisplayName 'flowverify rpc-epm-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 135 -RemoteAddress 10.20.0.21,10.20.0.22,2001:db8:20::21 -Description 'RPC endpoint mapper on domain controllers, which hands out the dynamic service port'

New-NetFirewallRule -DisplayName 'flowverify ldap-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 389 -RemoteAddress 10.20.0.21,10.20.0.22,2001:db8:20::21 -Description 'LDAP queries to domain controllers'

New-NetFirewallRule -DisplayName 'flowverify adws-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 9389 -RemoteAddress 10.20.0.21,10.20.0.22,2001:db8:20::21 -Description 'Active Directory Web Services on domain controllers'

# dynamic RPC: the server connects to the port the endpoint mapper hands out; Windows has no RPC keyword for remote ports, so the row's whole range 49152-65535 is allowed
New-NetFirewallRule -DisplayName 'flowverify rpc-dynamic-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 49152-65535 -RemoteAddress 10.20.0.21,10.20.0.22,2001:db8:20::21 -Description 'Dynamic RPC port named by the endpoint mapper, used to translate AD object names in bulk'

New-NetFirewallRule -DisplayName 'flowverify action-service-out' -Group 'flowverify' -Direction Outbound -Action Allow -Protocol TCP -RemotePort 8080 -Description 'Remote Action Service hosts reached by the server'
