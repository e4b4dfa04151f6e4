/**
 * The simulated bank: business units, their products (with Zipf-like popularity), intents,
 * complaint categories and CRM campaigns. The catalogue depends only on the number of
 * products, never on the seed, so every run (live or history, any seed) uses the same names.
 */
import { cumulative } from './rng.ts';

export interface BusinessUnitDef {
  id: string;
  /** Relative contact volume. */
  weight: number;
  products: readonly string[];
}

export const BUSINESS_UNITS: readonly BusinessUnitDef[] = [
  { id: 'cards', weight: 0.24, products: ['credit-card', 'debit-card', 'card-activation', 'card-limit', 'card-replacement', 'virtual-card', 'card-rewards', 'card-installments', 'card-dispute', 'card-annual-fee'] },
  { id: 'payments', weight: 0.2, products: ['transfers', 'international-transfer', 'bill-payment', 'mobile-pay', 'qr-payment', 'direct-debit', 'standing-order', 'payment-limits', 'failed-payment', 'payee-management'] },
  { id: 'deposits', weight: 0.16, products: ['savings-account', 'current-account', 'time-deposit', 'account-opening', 'account-closure', 'interest-rates', 'statements', 'dormant-account', 'kids-account', 'fx-account'] },
  { id: 'loans', weight: 0.13, products: ['personal-loan', 'car-loan', 'student-loan', 'loan-repayment', 'loan-topup', 'credit-line', 'loan-statement', 'early-repayment', 'buy-now-pay-later', 'overdraft'] },
  { id: 'mortgage', weight: 0.09, products: ['mortgage-application', 'mortgage-repayment', 'refinance', 'rate-switch', 'valuation', 'mortgage-statement', 'early-settlement', 'payment-holiday', 'home-equity', 'mortgage-insurance'] },
  { id: 'insurance', weight: 0.09, products: ['life-insurance', 'health-insurance', 'travel-insurance', 'car-insurance', 'home-insurance', 'claims', 'policy-renewal', 'premium-payment', 'beneficiary-change', 'critical-illness'] },
  { id: 'wealth', weight: 0.09, products: ['mutual-funds', 'brokerage', 'fixed-income', 'structured-products', 'pension-plan', 'robo-advisor', 'gold-account', 'fx-investment', 'portfolio-review', 'tax-report'] },
];

const VARIANTS = ['plus', 'gold', 'business', 'student', 'premier', 'lite', 'digital', 'classic', 'junior', 'senior', 'green', 'family'];

export const INTENTS = [
  'balance_inquiry', 'how_to', 'fee_inquiry', 'status_check', 'update_details', 'report_problem', 'cancel',
  'apply', 'dispute', 'password_reset', 'limit_change', 'statement_request', 'rate_inquiry', 'lost_or_stolen', 'other',
] as const;
/** Relative frequency of each intent (a few dominate). */
export const INTENT_CUMULATIVE = cumulative(INTENTS.map((_, i) => 1 / (i + 1.5)));

export const COMPLAINT_CATEGORIES = [
  'service_quality', 'fees_and_charges', 'delay', 'product_terms', 'staff_conduct', 'system_outage', 'fraud_handling', 'privacy',
] as const;
export const COMPLAINT_CATEGORY_CUMULATIVE = cumulative([0.25, 0.2, 0.17, 0.12, 0.09, 0.08, 0.06, 0.03]);

export interface CampaignDef {
  name: string;
  businessUnit: string;
}

export const CAMPAIGNS: readonly CampaignDef[] = [
  { name: 'card-winback', businessUnit: 'cards' },
  { name: 'card-upgrade-platinum', businessUnit: 'cards' },
  { name: 'payments-reactivation', businessUnit: 'payments' },
  { name: 'deposit-renewal', businessUnit: 'deposits' },
  { name: 'dormant-account-reactivation', businessUnit: 'deposits' },
  { name: 'loan-topup-offer', businessUnit: 'loans' },
  { name: 'loan-early-repayment-save', businessUnit: 'loans' },
  { name: 'mortgage-refinance-retention', businessUnit: 'mortgage' },
  { name: 'insurance-renewal', businessUnit: 'insurance' },
  { name: 'wealth-portfolio-review', businessUnit: 'wealth' },
];

export interface World {
  businessUnits: string[];
  buCumulative: Float64Array;
  /** products[bu] in popularity order. */
  products: string[][];
  productCumulative: Float64Array[];
  /** Contact share of each business unit. */
  buShare: number[];
}

/**
 * Builds the catalogue: `productCount` products (at least one per business unit) shared out
 * by business-unit weight; popularity within a unit is Zipf(1.1), so a few products carry most
 * of the traffic, like the real 420-product operation.
 */
export function buildWorld(productCount: number): World {
  const total = Math.max(BUSINESS_UNITS.length, Math.floor(productCount));
  const weightSum = BUSINESS_UNITS.reduce((s, b) => s + b.weight, 0);
  // Largest-remainder apportionment, at least 1 each.
  const quotas = BUSINESS_UNITS.map((b) => (b.weight / weightSum) * total);
  const counts = quotas.map((q) => Math.max(1, Math.floor(q)));
  let left = total - counts.reduce((s, c) => s + c, 0);
  const order = quotas.map((q, i) => ({ i, r: q - Math.floor(q) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  for (let k = BUSINESS_UNITS.length - 1; left < 0; k = (k + BUSINESS_UNITS.length - 1) % BUSINESS_UNITS.length) {
    if (counts[k]! > 1) {
      counts[k]!--;
      left++;
    }
  }

  const products = BUSINESS_UNITS.map((bu, b) => {
    const names: string[] = [];
    const n = counts[b]!;
    for (let i = 0; i < n; i++) {
      const base = bu.products[i % bu.products.length]!;
      const round = Math.floor(i / bu.products.length);
      if (round === 0) names.push(base);
      else if (round <= VARIANTS.length) names.push(`${base}-${VARIANTS[round - 1]}`);
      else names.push(`${base}-${round}`);
    }
    return names;
  });
  return {
    businessUnits: BUSINESS_UNITS.map((b) => b.id),
    buCumulative: cumulative(BUSINESS_UNITS.map((b) => b.weight)),
    products,
    productCumulative: products.map((names) => cumulative(names.map((_, i) => 1 / Math.pow(i + 1, 1.1)))),
    buShare: BUSINESS_UNITS.map((b) => b.weight / weightSum),
  };
}
