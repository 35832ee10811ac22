using Baton.Proxy.Hosting;

namespace Baton.Proxy.Tests.Hosting;

/// <summary>The standalone proxy turns inline socket completions on, but never over an operator's explicit choice.</summary>
public sealed class InlineSocketIoTests
{
    [Theory]
    [InlineData(null, "1", true)]
    [InlineData("0", "0", false)]
    [InlineData("1", "1", true)]
    public void Prefers_inline_completions_unless_the_variable_is_set(string? before, string after, bool enabled)
    {
        var saved = Environment.GetEnvironmentVariable(InlineSocketIo.Variable);
        try
        {
            Environment.SetEnvironmentVariable(InlineSocketIo.Variable, before);

            InlineSocketIo.PreferForThisProcess();

            Assert.Equal(after, Environment.GetEnvironmentVariable(InlineSocketIo.Variable));
            Assert.Equal(enabled, InlineSocketIo.Enabled);
        }
        finally
        {
            Environment.SetEnvironmentVariable(InlineSocketIo.Variable, saved);
        }
    }
}
