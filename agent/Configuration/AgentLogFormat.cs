namespace Baton.Agent.Configuration;

public enum AgentLogFormat
{
    Text,
    Json,
}
