package main

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	carrieraws "github.com/resetgw/resetgw/carriers/aws"
)

// newAWSSender makes the aws route's sender. The operator's default
// credential chain is loaded only when RESETGW_AWS_DEFAULT_CREDENTIALS
// allows routes to use it; it is resolved at the first send, not here.
func newAWSSender(ctx context.Context, cfg *config) (*carrieraws.Sender, error) {
	c := carrieraws.Config{Timeout: min(cfg.SendTimeout, carrieraws.DefaultTimeout)}
	if cfg.AWSDefaultCredentials {
		ac, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("RESETGW_AWS_DEFAULT_CREDENTIALS: loading the AWS configuration: %w", err)
		}
		c.DefaultCredentials = ac.Credentials
	}
	return carrieraws.New(c), nil
}
