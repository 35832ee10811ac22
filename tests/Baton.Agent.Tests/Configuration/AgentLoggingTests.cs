using Baton.Agent.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Baton.Agent.Tests.Configuration;

public sealed class AgentLoggingTests
{
    [Theory]
    [InlineData(AgentLogFormat.Text, ConsoleFormatterNames.Simple)]
    [InlineData(AgentLogFormat.Json, ConsoleFormatterNames.Json)]
    public void ChoosesTheConsoleFormatter(AgentLogFormat format, string formatter)
    {
        var services = new ServiceCollection();
        // A formatter configured earlier (as UseSystemd does) must not win over the operator's choice.
        services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Systemd);
        services.AddLogging(logging => logging.AddAgentConsole(format));
        using var provider = services.BuildServiceProvider();

        Assert.Equal(formatter, provider.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
        Assert.Single(provider.GetServices<ILoggerProvider>());
    }

    [Fact]
    public void TextHasUtcTimestampsOnOneLine()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddAgentConsole(AgentLogFormat.Text));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<SimpleConsoleFormatterOptions>>().Value;
        Assert.True(options.UseUtcTimestamp);
        Assert.True(options.SingleLine);
        Assert.NotNull(options.TimestampFormat);
    }
}
