package monitehooks_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/monitehooks/monitehooks/internal/cli"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// TestMain lets scripts run the CLI as "exec monitehooks …": testscript
// re-executes this test binary under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"monitehooks": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the scenarios in testdata/*.txtar, each against its own
// fake Monite (webhooktest.ScriptSetup) with the harness's commands.
// TESTSCRIPT_UPDATE=1 rewrites their expected files.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			return webhooktest.ScriptSetup(env, &webhooktest.ServerConfig{
				Tokens: map[string]string{"test-token": "partner-1", "other-token": "partner-2"},
			})
		},
		Cmds:          webhooktest.Commands(),
		UpdateScripts: os.Getenv("TESTSCRIPT_UPDATE") != "",
	})
}
