package activities

import (
	"context"
	"sync"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/callhooks/callhooks/models"
)

// companyCacheSize bounds how many companies the worker keeps at once.
const companyCacheSize = 10000

// company loads a company (its plans and signing keys) for a delivery.
// With CompanyCacheTTL set, a company is loaded once per TTL instead of
// once per delivery: a burst of webhooks for one company (ten endpoints per
// event, say) then costs one query. The price is that a key rotation
// reaches the signatures up to one TTL later; during a rotation's overlap
// the old key still verifies, so receivers see no difference.
func (a *Activities) company(ctx context.Context, id int64) (models.Company, error) {
	if a.CompanyCacheTTL <= 0 {
		return a.Store.CompanyByID(ctx, id)
	}
	a.cacheOnce.Do(func() {
		a.companies = expirable.NewLRU[int64, models.Company](companyCacheSize, nil, a.CompanyCacheTTL)
	})
	if c, ok := a.companies.Get(id); ok {
		return c, nil
	}
	c, err := a.Store.CompanyByID(ctx, id)
	if err != nil {
		return models.Company{}, err
	}
	a.companies.Add(id, c)
	return c, nil
}

// companyCache is the state behind Activities.company.
type companyCache struct {
	cacheOnce sync.Once
	companies *expirable.LRU[int64, models.Company]
}
