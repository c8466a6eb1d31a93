REM flowverify dev: host-firewall rules for the Threat Manager server, matrix "threatmanager" (profile threatmanager)
REM Run in an elevated command prompt on the Threat Manager server.
netsh advfirewall firewall add rule name="flowverify syslog-in" dir=in action=allow protocol=UDP localport=10000 remoteip=10.20.1.0/24 description="File-system events streamed as syslog by Activity Monitor agents"
netsh advfirewall firewall add rule name="flowverify amqp-in" dir=in action=allow protocol=TCP localport=10001 remoteip=10.20.1.0/24 description="Active Directory and file-system events over AMQP from Activity Monitor and Threat Prevention agents"
netsh advfirewall firewall add rule name="flowverify console-8080 (in)" dir=in action=allow protocol=TCP localport=8080 description="Web console opened by administrators' browsers"
netsh advfirewall firewall add rule name="flowverify console-8080 (out)" dir=out action=allow protocol=TCP remoteport=8080 description="Web console opened by administrators' browsers"
netsh advfirewall firewall add rule name="flowverify access-analyzer-8080 (in)" dir=in action=allow protocol=TCP localport=8080 description="Access Analyzer console hosts talking to the web service"
netsh advfirewall firewall add rule name="flowverify access-analyzer-8080 (out)" dir=out action=allow protocol=TCP remoteport=8080 description="Access Analyzer console hosts talking to the web service"
netsh advfirewall firewall add rule name="flowverify postgresql-out" dir=out action=allow protocol=TCP remoteport=5435,5439 remoteip=10.20.0.41 description="Remote (or local) PostgreSQL database used by Threat Manager"
netsh advfirewall firewall add rule name="flowverify kerberos-out" dir=out action=allow protocol=TCP remoteport=88 remoteip=10.20.0.21,10.20.0.22,2001:db8:20::21 description="Kerberos authentication against domain controllers"
netsh advfirewall firewall add rule name="flowverify rpc-epm-out" dir=out action=allow protocol=TCP remoteport=135 remoteip=10.20.0.21,10.20.0.22,2001:db8:20::21 description="RPC endpoint mapper on domain controllers, which hands out the dynamic service port"
netsh advfirewall firewall add rule name="flowverify ldap-out" dir=out action=allow protocol=TCP remoteport=389 remoteip=10.20.0.21,10.20.0.22,2001:db8:20::21 description="LDAP queries to domain controllers"
netsh advfirewall firewall add rule name="flowverify adws-out" dir=out action=allow protocol=TCP remoteport=9389 remoteip=10.20.0.21,10.20.0.22,2001:db8:20::21 description="Active Directory Web Services on domain controllers"
REM dynamic RPC: the server connects to the port the endpoint mapper hands out; Windows has no RPC keyword for remote ports, so the row's whole range 49152-65535 is allowed
netsh advfirewall firewall add rule name="flowverify rpc-dynamic-out" dir=out action=allow protocol=TCP remoteport=49152-65535 remoteip=10.20.0.21,10.20.0.22,2001:db8:20::21 description="Dynamic RPC port named by the endpoint mapper, used to translate AD object names in bulk"
netsh advfirewall firewall add rule name="flowverify action-service-out" dir=out action=allow protocol=TCP remoteport=8080 description="Remote Action Service hosts reached by the server"
