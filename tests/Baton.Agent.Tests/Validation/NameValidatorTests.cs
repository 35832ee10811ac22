using Baton.Agent.Validation;
using Grpc.Core;

namespace Baton.Agent.Tests.Validation;

public class NameValidatorTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("web-1")]
    [InlineData("v1.2.3")]
    [InlineData("0")]
    public void AcceptsSafeNames(string name) => Assert.True(NameValidator.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("-web")]
    [InlineData("Web")]
    [InlineData("web/1")]
    [InlineData("web_1")]
    [InlineData("a b")]
    public void RejectsUnsafeNames(string name) => Assert.False(NameValidator.IsValid(name));

    [Fact]
    public void RejectsNamesLongerThan63()
    {
        Assert.True(NameValidator.IsValid(new string('a', 63)));
        Assert.False(NameValidator.IsValid(new string('a', 64)));
    }

    [Fact]
    public void RequireNamesTheFieldWithInvalidArgument()
    {
        var e = Assert.Throws<RpcException>(() => NameValidator.Require("../etc", "app"));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("app \"../etc\"", e.Status.Detail);
    }
}
